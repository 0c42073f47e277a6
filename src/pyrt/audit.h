/* The Python layer's second wall: a PEP 578 audit hook installed from C in
 * the zygote, before the interpreter starts, and switched on in each slot
 * the moment before the job's code runs.  It cannot be removed from
 * Python.  docs/security.md states what it refuses and where it stops;
 * the kernel sandbox under it remains the boundary.
 *
 * Zygote-only (it needs Python.h): not part of libstratbox. */
#ifndef STRATBOX_PYRT_AUDIT_H
#define STRATBOX_PYRT_AUDIT_H

#include <Python.h>

/* Before Py_Initialize(): register the hook (inactive). */
int audit_install(void);
/* After the preload: learn the trusted code directories (the absolute,
 * read-only entries of sys.path, and frozen modules) and the allowed
 * import roots (a list of str).  0, or -1 with a Python error. */
int audit_configure(PyObject *allowed);
/* In a slot, right before the job's code: from here until the process
 * ends the hook decides. */
void audit_activate(void);

#endif
