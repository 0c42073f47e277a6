# expect: dunder-attribute
x = (1).__getattribute__('real')
