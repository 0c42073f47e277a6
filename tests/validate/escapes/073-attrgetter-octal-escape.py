# expect: dunder-string
import operator
g = operator.attrgetter('\137\137dict\137\137')
