/* stratbox's version, as results' provenance records it. */
#ifndef STRATBOX_VERSION_H
#define STRATBOX_VERSION_H
#define STRATBOX_VERSION "0.9.0"
#endif
