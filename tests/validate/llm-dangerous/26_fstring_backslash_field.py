# expect: dunder-attribute
# CPython 3.11 reads "\{" as a backslash and a replacement field
s = f"\{().__class__.__base__.__subclasses__()}"
