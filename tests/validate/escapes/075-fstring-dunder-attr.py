# expect: dunder-attribute
s = f'{().__class__}'
