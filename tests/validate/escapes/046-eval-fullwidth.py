# expect: banned-builtin
ｅｖａｌ('1')
