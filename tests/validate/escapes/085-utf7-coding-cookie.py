# -*- coding: utf-7 -*-
x = 1
# expect: encoding-declaration
