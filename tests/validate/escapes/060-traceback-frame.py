# expect: banned-identifier
# .__traceback__ alone is allowed (traceback.format_exception(type(e), e,
# e.__traceback__) is ordinary code); its frame is the escape
try:
    1 / 0
except Exception as e:
    fr = e.__traceback__.tb_frame
