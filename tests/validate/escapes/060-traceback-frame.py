# expect: dunder-attribute
try:
    1 / 0
except Exception as e:
    fr = e.__traceback__.tb_frame
