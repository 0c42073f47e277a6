# expect: banned-builtin
def run(code, runner=exec):
    runner(code)
