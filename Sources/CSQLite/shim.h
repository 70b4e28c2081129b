// The system SQLite, plus what does not import into Swift: the destructor constants (macros), one variadic call.
#ifndef BANDIT_CSQLITE_SHIM_H
#define BANDIT_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
static inline sqlite3_destructor_type bandit_sqlite_transient(void) { return SQLITE_TRANSIENT; }
/// SQLITE_STATIC: the bound bytes outlive the statement's use of them.
static inline sqlite3_destructor_type bandit_sqlite_static(void) { return SQLITE_STATIC; }
/// SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE on (sqlite3_db_config is variadic, which Swift cannot call):
/// closing the last connection leaves the `-wal` file as it is instead of copying it into the database.
static inline int bandit_sqlite_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
#endif
