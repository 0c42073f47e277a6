# expect: banned-identifier
async def c():
    pass
f = c().cr_frame
