# expect: banned-identifier
def f(g):
    return g.gi_frame.f_back.f_globals
