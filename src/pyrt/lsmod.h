/* The zygote's built-in module _stratbox_ls (lsmod.c): the slot's side of
 * a backtest's lockstep region. */
#ifndef STRATBOX_PYRT_LSMOD_H
#define STRATBOX_PYRT_LSMOD_H

#include <Python.h>

/* Map the job's region (before any strategy code runs); 0 or -errno. */
int lsmod_attach(int fd);
/* For PyImport_AppendInittab("_stratbox_ls", lsmod_init), before Python starts. */
PyObject *lsmod_init(void);

#endif
