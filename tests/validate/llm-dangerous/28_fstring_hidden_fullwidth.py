# expect: dunder-attribute
x = 1
s = f"\{str(().__class＿＿.__base__)+'{x!'}"
