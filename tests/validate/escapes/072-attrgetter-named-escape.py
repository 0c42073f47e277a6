# expect: dunder-string
import operator
g = operator.attrgetter('\N{LOW LINE}\N{LOW LINE}globals__')
