// The daemon's durable writes, off the thread that forwards media: a writer
// thread applies them in order on its own connection to the Store's file and
// commits whatever has queued up as one transaction (one fsync per batch:
// group commit). What depends on a write being durable (a reply saying it
// succeeded) runs afterwards, on the core's thread, in run_completions().
//
// Reads stay on the core's own connection and see what is committed: a
// write is acknowledged only once committed, so every read after its
// acknowledgement sees it, and decisions (is this alias free?) are taken on
// the writer's connection, after every earlier write.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "signald/core/outbox.hpp"
#include "signald/core/store.hpp"

namespace wzp::signald {

class StoreWriter {
 public:
  // Where batches are written: on the writer's own thread (the daemon), or
  // on the caller's, inside wait_until_written(), for a single-threaded
  // harness (the fuzz targets) that would otherwise hand every batch to
  // another thread and wait for it.
  enum class Thread { kOwn, kCallers };
  // `written` runs on the writing thread after each batch: it should have the
  // core's thread call run_completions() soon.
  StoreWriter(std::unique_ptr<Store> store, std::function<void()> written,
              Thread thread = Thread::kOwn);
  // Writes everything still queued, then stops; completions not yet run are
  // dropped.
  ~StoreWriter();
  StoreWriter(const StoreWriter &) = delete;
  StoreWriter &operator=(const StoreWriter &) = delete;

  // Queues `write` (Result(Store &), run on the writer thread inside its
  // batch's transaction). Once the batch is over, run_completions() calls
  // `done(std::optional<Result>, const Now &)`: the result if the batch
  // committed, nullopt if it did not.
  template <typename Write, typename Done>
  void submit(Write write, Done done) {
    using Result = std::invoke_result_t<Write &, Store &>;
    auto result = std::make_shared<std::optional<Result>>();
    enqueue(
        Job{[result, write = std::move(write)](Store &store) mutable { *result = write(store); },
            [result, done = std::move(done)](bool committed, const Now &now) mutable {
              done(committed ? std::move(*result) : std::nullopt, now);
            }});
  }
  // Queues a write nothing waits for.
  void submit(std::function<void(Store &)> write) { enqueue(Job{std::move(write), {}}); }

  // On the core's thread: the completions of the batches written so far.
  void run_completions(const Now &now);
  // Blocks until everything submitted before the call is written (with
  // Thread::kCallers: writes it, here).
  void wait_until_written();

 private:
  struct Job {
    std::function<void(Store &)> write;
    std::function<void(bool committed, const Now &)> done;  // may be empty
  };
  struct Completion {
    std::function<void(bool committed, const Now &)> done;
    bool committed;
  };
  void enqueue(Job job);
  void run();
  // Writes what is queued as one batch; `lock` holds mutex_ and is held again
  // on return.
  void write_queued(std::unique_lock<std::mutex> &lock);
  bool write_batch(std::vector<Job> &batch);

  std::unique_ptr<Store> store_;  // used on the writer thread only
  std::function<void()> written_;
  std::mutex mutex_;
  std::condition_variable queued_or_stopping_;
  std::condition_variable batch_written_;
  std::vector<Job> queued_;
  std::vector<Completion> completions_;
  uint64_t submitted_ = 0;
  uint64_t finished_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: starts (Thread::kOwn) once the rest is set up
};

}  // namespace wzp::signald
