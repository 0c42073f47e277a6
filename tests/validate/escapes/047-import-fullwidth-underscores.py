# expect: banned-builtin
＿＿import＿＿('os')
