# expect: dunder-string
import operator
g = operator.attrgetter('__globals__')
