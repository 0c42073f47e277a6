# expect: dunder-string
import operator
g = operator.attrgetter('\x5f\x5fglobals\x5f\x5f')
