# expect: dunder-attribute
class A:
    def f(self):
        return super().__getattribute__('x')
