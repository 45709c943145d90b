// A SQLite VFS over the default one that counts syncs (SQLite's fsync /
// fdatasync) and can hold them on a latch the test releases, so a test sees
// which thread is inside a durable commit and what else runs meanwhile.
// While it lives it is the default VFS: Store::open uses it unchanged.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace wzp::signald::testing {

class SyncLatchVfs {
 public:
  SyncLatchVfs() : real_(sqlite3_vfs_find(nullptr)) {
    vfs_.iVersion = 2;
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
    vfs_.mxPathname = real_->mxPathname;
    vfs_.zName = "sync-latch";
    vfs_.pAppData = this;
    vfs_.xOpen = open;
    vfs_.xDelete = [](sqlite3_vfs *v, const char *name, int dir_sync) {
      return real(v)->xDelete(real(v), name, dir_sync);
    };
    vfs_.xAccess = [](sqlite3_vfs *v, const char *name, int flags, int *out) {
      return real(v)->xAccess(real(v), name, flags, out);
    };
    vfs_.xFullPathname = [](sqlite3_vfs *v, const char *name, int size, char *out) {
      return real(v)->xFullPathname(real(v), name, size, out);
    };
    vfs_.xRandomness = [](sqlite3_vfs *v, int size, char *out) {
      return real(v)->xRandomness(real(v), size, out);
    };
    vfs_.xSleep = [](sqlite3_vfs *v, int micros) { return real(v)->xSleep(real(v), micros); };
    vfs_.xCurrentTime = [](sqlite3_vfs *v, double *out) {
      return real(v)->xCurrentTime(real(v), out);
    };
    vfs_.xGetLastError = [](sqlite3_vfs *v, int size, char *out) {
      return real(v)->xGetLastError(real(v), size, out);
    };
    vfs_.xCurrentTimeInt64 = [](sqlite3_vfs *v, sqlite3_int64 *out) {
      return real(v)->xCurrentTimeInt64(real(v), out);
    };
    sqlite3_vfs_register(&vfs_, 1);
  }
  ~SyncLatchVfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(real_, 1);
  }
  SyncLatchVfs(const SyncLatchVfs &) = delete;
  SyncLatchVfs &operator=(const SyncLatchVfs &) = delete;

  // From now on every sync waits until release_syncs().
  void hold_syncs() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void release_syncs() {
    std::lock_guard lock(mutex_);
    holding_ = false;
    changed_.notify_all();
  }
  // True once a sync waits on the latch; false if none did within `limit`.
  bool wait_for_held_sync(std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [this] { return held_ > 0; });
  }
  int syncs() {
    std::lock_guard lock(mutex_);
    return syncs_;
  }

 private:
  struct File {
    sqlite3_file base;
    SyncLatchVfs *owner;
    sqlite3_file *real() { return reinterpret_cast<sqlite3_file *>(this + 1); }
  };
  static sqlite3_vfs *real(sqlite3_vfs *v) {
    return static_cast<SyncLatchVfs *>(v->pAppData)->real_;
  }
  static File *file(sqlite3_file *f) { return reinterpret_cast<File *>(f); }
  static sqlite3_file *real(sqlite3_file *f) { return file(f)->real(); }

  void sync_started() {
    std::unique_lock lock(mutex_);
    ++syncs_;
    if (!holding_) return;
    ++held_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return !holding_; });
    --held_;
  }

  static int open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out_flags) {
    auto *self = static_cast<SyncLatchVfs *>(v->pAppData);
    File *wrapped = file(f);
    wrapped->owner = self;
    wrapped->base.pMethods = nullptr;
    int rc = self->real_->xOpen(self->real_, name, wrapped->real(), flags, out_flags);
    if (wrapped->real()->pMethods != nullptr) wrapped->base.pMethods = &kMethods;
    return rc;
  }

  static constexpr sqlite3_io_methods kMethods = {
      2,
      [](sqlite3_file *f) {
        int rc = real(f)->pMethods->xClose(real(f));
        f->pMethods = nullptr;
        return rc;
      },
      [](sqlite3_file *f, void *out, int size, sqlite3_int64 at) {
        return real(f)->pMethods->xRead(real(f), out, size, at);
      },
      [](sqlite3_file *f, const void *in, int size, sqlite3_int64 at) {
        return real(f)->pMethods->xWrite(real(f), in, size, at);
      },
      [](sqlite3_file *f, sqlite3_int64 size) {
        return real(f)->pMethods->xTruncate(real(f), size);
      },
      [](sqlite3_file *f, int flags) {
        file(f)->owner->sync_started();
        return real(f)->pMethods->xSync(real(f), flags);
      },
      [](sqlite3_file *f, sqlite3_int64 *size) {
        return real(f)->pMethods->xFileSize(real(f), size);
      },
      [](sqlite3_file *f, int level) { return real(f)->pMethods->xLock(real(f), level); },
      [](sqlite3_file *f, int level) { return real(f)->pMethods->xUnlock(real(f), level); },
      [](sqlite3_file *f, int *out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); },
      [](sqlite3_file *f, int op, void *arg) {
        return real(f)->pMethods->xFileControl(real(f), op, arg);
      },
      [](sqlite3_file *f) { return real(f)->pMethods->xSectorSize(real(f)); },
      [](sqlite3_file *f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); },
      // WAL's shared-memory index.
      [](sqlite3_file *f, int page, int size, int extend, void volatile **out) {
        return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
      },
      [](sqlite3_file *f, int offset, int n, int flags) {
        return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
      },
      [](sqlite3_file *f) { real(f)->pMethods->xShmBarrier(real(f)); },
      [](sqlite3_file *f, int remove) { return real(f)->pMethods->xShmUnmap(real(f), remove); },
      nullptr,
      nullptr,
  };

  sqlite3_vfs *real_;
  sqlite3_vfs vfs_{};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = false;
  int held_ = 0;
  int syncs_ = 0;
};

}  // namespace wzp::signald::testing
