# expect: banned-builtin
s = f'''value:
{
 exec('x')
}'''
