# expect: banned-identifier
g = (i for i in [1])
b = g.gi_frame.f_builtins
