# expect: import-not-allowed
import \
    os
