# expect: banned-identifier
import traceback

for frame, lineno in traceback.walk_stack(None):
    print(frame)
