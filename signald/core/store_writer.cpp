#include "signald/core/store_writer.hpp"

#include <glib.h>

namespace wzp::signald {

StoreWriter::StoreWriter(std::unique_ptr<Store> store, std::function<void()> written, Thread thread)
    : store_(std::move(store)), written_(std::move(written)) {
  if (thread == Thread::kOwn) thread_ = std::thread([this] { run(); });
}

StoreWriter::~StoreWriter() {
  if (!thread_.joinable()) {
    wait_until_written();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_or_stopping_.notify_one();
  thread_.join();
}

void StoreWriter::enqueue(Job job) {
  {
    std::lock_guard lock(mutex_);
    queued_.push_back(std::move(job));
    ++submitted_;
  }
  queued_or_stopping_.notify_one();
}

void StoreWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    queued_or_stopping_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    if (queued_.empty()) return;
    write_queued(lock);
  }
}

void StoreWriter::write_queued(std::unique_lock<std::mutex> &lock) {
  // Everything that queued up while the last batch synced: the busier the
  // daemon, the more writes share one fsync.
  std::vector<Job> batch;
  batch.swap(queued_);
  lock.unlock();
  const bool committed = write_batch(batch);
  lock.lock();
  for (auto &job : batch) {
    if (job.done) completions_.push_back({std::move(job.done), committed});
  }
  finished_ += batch.size();
  batch_written_.notify_all();
  lock.unlock();
  written_();
  lock.lock();
}

bool StoreWriter::write_batch(std::vector<Job> &batch) {
  if (!store_->begin()) {
    g_warning("store: cannot begin a write: %s", store_->last_error().c_str());
    return false;
  }
  for (auto &job : batch) job.write(*store_);
  if (!store_->commit()) {
    g_warning("store: %zu writes not committed: %s", batch.size(), store_->last_error().c_str());
    store_->rollback();
    return false;
  }
  return true;
}

void StoreWriter::run_completions(const Now &now) {
  std::vector<Completion> ready;
  {
    std::lock_guard lock(mutex_);
    ready.swap(completions_);
  }
  for (auto &completion : ready) completion.done(completion.committed, now);
}

void StoreWriter::wait_until_written() {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) {
    if (!queued_.empty()) write_queued(lock);
    return;
  }
  const uint64_t target = submitted_;
  batch_written_.wait(lock, [&] { return finished_ >= target; });
}

}  // namespace wzp::signald
