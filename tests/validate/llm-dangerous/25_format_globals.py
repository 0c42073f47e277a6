# expect: dunder-string
class Reporter:
    def report(self):
        return "{0.report.__globals__}".format(self)
