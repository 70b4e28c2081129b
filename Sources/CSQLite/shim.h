// The system SQLite, plus the destructor constants that do not import into Swift as macros.
#ifndef BANDIT_CSQLITE_SHIM_H
#define BANDIT_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
static inline sqlite3_destructor_type bandit_sqlite_transient(void) { return SQLITE_TRANSIENT; }
/// SQLITE_STATIC: the bound bytes outlive the statement's use of them.
static inline sqlite3_destructor_type bandit_sqlite_static(void) { return SQLITE_STATIC; }
#endif
