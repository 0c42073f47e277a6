# expect: dunder-attribute
subclasses = 0x1.__class__.__base__.__subclasses__()
