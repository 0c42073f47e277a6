# expect: dunder-string
import operator

get = operator.attrgetter(f"__glo{''}bals__")
