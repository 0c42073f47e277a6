# expect: dunder-name
class Base:
    def __init_subclass__(cls):
        pass
