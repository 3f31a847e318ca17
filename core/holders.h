// Who holds a database open: the processes with the database file or its
// -wal/-journal/-shm open, found through /proc (like lsof, for one database).
#pragma once
#include <string>
#include <vector>

namespace bb {

struct Holder {
  int pid = 0;
  std::string command;  // the process's command line
  std::string file;     // which of the files it holds
  std::string access;   // "read" or "read/write"
};

std::vector<Holder> find_holders(const std::string& db);

}  // namespace bb
