# expect: dunder-name
class G:
    def __class_getitem__(cls, item):
        return cls
