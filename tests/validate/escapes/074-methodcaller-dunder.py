# expect: dunder-string
import operator
c = operator.methodcaller('__subclasses__')
