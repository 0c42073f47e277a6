# expect: dunder-string
import operator

get = operator.attrgetter("__glo" "bals__")
