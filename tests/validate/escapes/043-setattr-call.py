# expect: banned-builtin
# setattr with a literal ordinary name is obj.x = 1 and is allowed; with a
# computed name it reaches any attribute, dunders included
name = 'x'
setattr(object, name, 1)
