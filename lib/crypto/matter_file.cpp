#include "crypto/matter_file.hpp"

#include "crypto/cobblestone.hpp"
#include "util/file.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string_view>
#include <system_error>
#include <thread>

namespace complycli::crypto {

namespace cb = cobblestone;

namespace {

constexpr std::string_view context_domain = "complycli/matter-file";

// ---- Pipeline tuning: a batch is this many chunks (1 MiB of plaintext); this many batches are in
// flight. Memory: slots x 2 buffers x ~1 MiB.
constexpr std::size_t chunks_per_batch = 64;
constexpr std::size_t slot_count = 6;

std::string errno_text(int error) { return std::strerror(error); }

// Wait for a non-blocking descriptor (EAGAIN) to become ready.
void wait_for(int fd, short events)
{
  pollfd pfd{fd, events, 0};
  while (::poll(&pfd, 1, -1) < 0 && errno == EINTR) {
  }
}

bool retry_read(int fd)
{
  if (errno == EINTR) {
    return true;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    wait_for(fd, POLLIN);
    return true;
  }
  return false;
}

// Read until `buffer` is full or the input ends. Returns the number of bytes read.
Result<std::size_t> read_full(int fd, std::span<uint8_t> buffer)
{
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;
    } else if (!retry_read(fd)) {
      return fail(Errc::io, "cannot read the input: {}", errno_text(errno));
    }
  }
  return done;
}

Result<void> write_full(int fd, std::span<const uint8_t> data)
{
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_for(fd, POLLOUT);
    } else if (n < 0 && errno != EINTR) {
      return fail(Errc::io, "cannot write the output: {}", errno_text(errno));
    }
  }
  return {};
}

// Read exactly `buffer.size()` bytes at `offset`; false (with errno 0) if the file ends before that.
bool pread_full(int fd, std::span<uint8_t> buffer, uint64_t offset)
{
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::pread(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      errno = 0;
      return false;
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

// A regular file: its current offset and its size. nullopt for pipes, terminals, sockets, and files
// opened for appending.
struct RegularFile {
  uint64_t offset = 0;
  uint64_t size = 0;
};

std::optional<RegularFile> regular_file(int fd)
{
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  const int flags = ::fcntl(fd, F_GETFL);
  const off_t offset = ::lseek(fd, 0, SEEK_CUR);
  if (flags < 0 || (flags & O_APPEND) != 0 || offset < 0 || offset > st.st_size) {
    return std::nullopt;
  }
  return RegularFile{static_cast<uint64_t>(offset), static_cast<uint64_t>(st.st_size)};
}

// Starts the kernel writing a file's finished parts to disk (util::start_writeback) every 8 MiB while
// the rest is still being produced, so that the fsync before the commit has little left to wait for.
class Writeback {
public:
  Writeback(int fd, uint64_t offset) : m_fd(fd), m_started_to(offset), m_written_to(offset) {}
  // `size` more bytes were written (sequentially).
  void written(uint64_t size)
  {
    m_written_to += size;
    if (m_written_to - m_started_to >= window) {
      util::start_writeback(m_fd, m_started_to, m_written_to - m_started_to);
      m_started_to = m_written_to;
    }
  }

private:
  static constexpr uint64_t window = 8 << 20;
  int m_fd;
  uint64_t m_started_to;
  uint64_t m_written_to;
};

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// SHA-256 over EVP, RAII.
class Sha256 {
public:
  static Result<Sha256> create()
  {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    if (md == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) {
      return fail(Errc::internal, "cannot initialise SHA-256");
    }
    return Sha256(std::move(ctx));
  }
  void update(std::span<const uint8_t> data)
  {
    if (!data.empty()) {
      EVP_DigestUpdate(m_ctx.get(), data.data(), data.size());
    }
  }
  std::array<uint8_t, 32> finish()
  {
    std::array<uint8_t, 32> digest{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(m_ctx.get(), digest.data(), &len);
    return digest;
  }

private:
  explicit Sha256(std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx) : m_ctx(std::move(ctx)) {}
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> m_ctx;
};

enum class Mode { encrypt, decrypt };

// One batch of chunks moving through the pipeline: read -> (en|de)crypt -> hash and write.
struct Slot {
  enum class State { free, read, claimed, crypted };

  // Plaintext passes through these: libsodium secure memory (guarded, locked when the limit allows,
  // wiped when freed), allocated on first use.
  SecretBytes in;
  SecretBytes out;
  std::size_t in_high = 0;       // high-water marks
  std::size_t out_high = 0;
  std::size_t in_len = 0;
  std::size_t out_len = 0;  // bytes of `out` that may be released (decrypt: authenticated ones only)
  uint64_t plaintext = 0;   // plaintext bytes this batch contributes (once it succeeded)
  uint64_t ciphertext = 0;  // payload bytes this batch contributes
  uint64_t seq = 0;
  bool last = false;        // the input ended in this batch (or reading failed)
  bool at_end = false;      // `last` because the input really ended (not a read error)
  std::optional<Error> error;
  State state = State::free;
  bool hashed = false;
  bool written = false;
};

struct Totals {
  uint64_t plaintext = 0;
  uint64_t payload = 0;
};

unsigned worker_count(const StreamOptions& options)
{
  if (options.threads != 0) {
    return options.threads;
  }
  return std::clamp(std::thread::hardware_concurrency(), 1U, 4U);
}

// The pipeline. Slot `seq % slot_count` carries batch `seq`; a slot is reused only once it has been
// both hashed and written. Worker threads seal or open whole batches, a hasher thread digests them in
// order, and the calling thread writes them in order. A regular input is read at offsets (pread) by
// the workers themselves, so that both cores read and encrypt; a pipe or terminal is read by a reader
// thread. (Writes stay on one thread: a file system takes the file's lock for each write anyway.) The
// writeback of a regular output file starts as it is written. Small regular files (one batch) go
// through the same steps on the calling thread, without threads.
class Pipeline {
public:
  Pipeline(Mode mode, int in_fd, int out_fd, const cb::MessageKeys& keys, Sha256* hash, const StreamOptions& options)
      : m_mode(mode), m_in_fd(in_fd), m_out_fd(out_fd), m_keys(keys), m_hash(hash), m_workers(worker_count(options)),
        m_progress(options.progress)
  {
    const std::size_t plain_cap = chunks_per_batch * cb::chunk_size;
    const std::size_t sealed_cap = chunks_per_batch * cb::sealed_chunk_size;
    m_in_cap = mode == Mode::encrypt ? plain_cap : sealed_cap;
    m_out_cap = mode == Mode::encrypt ? sealed_cap + cb::tag_size : plain_cap;
  }

  ~Pipeline()
  {
    // The slots' buffers are wiped when they are freed (SecretBytes).
    if (m_cancel_pipe[0] >= 0) {
      ::close(m_cancel_pipe[0]);
      ::close(m_cancel_pipe[1]);
    }
  }

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Run to the end of the input or the first error.
  Result<Totals> run()
  {
    m_input = regular_file(m_in_fd);
    if (m_input) {
      ::posix_fadvise(m_in_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
      if (m_input->size - m_input->offset < m_in_cap) {
        return run_here();
      }
      m_last_seq = (m_input->size - m_input->offset) / m_in_cap;
    } else if (::pipe2(m_cancel_pipe, O_CLOEXEC) != 0) {
      return fail(Errc::io, "cannot create a pipe: {}", errno_text(errno));
    }
    if (const auto output = regular_file(m_out_fd)) {
      m_writeback.emplace(m_out_fd, output->offset);
    }

    // Each worker keys its own cipher context once.
    std::vector<std::optional<cb::ChunkSealer>> sealers(m_workers);
    std::vector<std::optional<cb::ChunkOpener>> openers(m_workers);
    for (unsigned i = 0; i < m_workers; ++i) {
      if (m_mode == Mode::encrypt) {
        sealers[i].emplace(TRY(cb::ChunkSealer::create(m_keys)));
      } else {
        openers[i].emplace(TRY(cb::ChunkOpener::create(m_keys)));
      }
    }

    std::vector<std::jthread> threads;
    try {
      if (!m_input) {
        threads.emplace_back([this] { reader(); });
      }
      for (unsigned i = 0; i < m_workers; ++i) {
        threads.emplace_back([this, i, &sealers, &openers] { worker(sealers[i], openers[i]); });
      }
      if (m_hash != nullptr) {
        threads.emplace_back([this] { hasher(); });
      }
    } catch (const std::system_error& e) {
      cancel(); // the threads that did start stop; joined on return
      return fail(Errc::internal, "cannot start a thread: {}", e.what());
    }
    auto result = writer();
    if (!result) {
      cancel();
    }
    threads.clear(); // join
    if (result) {
      result = finish_positional(*result);
    }
    return result;
  }

private:
  Slot& slot_for(uint64_t seq) { return m_slots[seq % slot_count]; }

  // Every step on the calling thread, one batch after the other (small inputs).
  Result<Totals> run_here()
  {
    std::optional<cb::ChunkSealer> sealer;
    std::optional<cb::ChunkOpener> opener;
    if (m_mode == Mode::encrypt) {
      sealer.emplace(TRY(cb::ChunkSealer::create(m_keys)));
    } else {
      opener.emplace(TRY(cb::ChunkOpener::create(m_keys)));
    }
    SecretBytes scratch;
    Totals totals;
    for (uint64_t seq = 0;; ++seq) {
      Slot& slot = slot_for(seq);
      slot.seq = seq;
      read_batch(slot);
      crypt_batch(slot, sealer, opener, scratch);
      hash_batch(slot);
      const bool last = TRY(write_batch(slot, totals));
      if (last) {
        return totals;
      }
    }
  }

  // After reading a regular input at offsets: its offset ends where sequential reads would have left
  // it, and an input that changed size while it was read is an error (it was read to the size it had
  // at the start).
  Result<Totals> finish_positional(const Totals& totals)
  {
    if (m_input) {
      struct stat st {};
      if (::fstat(m_in_fd, &st) == 0 && static_cast<uint64_t>(st.st_size) != m_input->size) {
        return fail(Errc::io, "the input changed size while it was read ({} bytes, then {})", m_input->size,
                    st.st_size);
      }
      ::lseek(m_in_fd, static_cast<off_t>(m_input->size), SEEK_SET);
    }
    return totals;
  }

  void cancel()
  {
    {
      std::lock_guard lock(m_mutex);
      m_cancelled = true;
    }
    m_cv.notify_all();
    if (m_cancel_pipe[1] >= 0) {
      const uint8_t byte = 1;
      [[maybe_unused]] const ssize_t n = ::write(m_cancel_pipe[1], &byte, 1);
    }
  }

  // Wait until a pipe can be read; false if the pipeline was cancelled meanwhile.
  bool wait_readable()
  {
    if (m_cancel_pipe[0] < 0) {
      return true;
    }
    for (;;) {
      pollfd fds[2] = {{m_in_fd, POLLIN, 0}, {m_cancel_pipe[0], POLLIN, 0}};
      const int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return true; // let read() report the problem
      }
      return (fds[1].revents & POLLIN) == 0;
    }
  }

  // Make `slot` ready to receive batch slot.seq.
  void reset(Slot& slot)
  {
    if (slot.in.size() == 0) {
      auto in = SecretBytes::allocate(m_in_cap);
      auto out = SecretBytes::allocate(m_out_cap);
      if (!in || !out) {
        throw std::bad_alloc(); // main reports it as an internal error
      }
      slot.in = std::move(*in);
      slot.out = std::move(*out);
    }
    slot.in_len = 0;
    slot.out_len = 0;
    slot.plaintext = 0;
    slot.ciphertext = 0;
    slot.error.reset();
    slot.last = false;
    slot.at_end = false;
    slot.hashed = false;
    slot.written = false;
  }

  // Fill `slot` from the input's current offset: until it is full or the input ends. False if cancelled.
  bool read_batch(Slot& slot)
  {
    reset(slot);
    while (slot.in_len < m_in_cap) {
      if (!wait_readable()) {
        return false;
      }
      const ssize_t n = ::read(m_in_fd, slot.in.data() + slot.in_len, m_in_cap - slot.in_len);
      if (n > 0) {
        slot.in_len += static_cast<std::size_t>(n);
      } else if (n == 0) {
        slot.last = true;
        slot.at_end = true;
        break;
      } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) { // (wait_readable polls)
        slot.error = Error{Errc::io, fmt::format("cannot read the input: {}", errno_text(errno)), {}};
        slot.last = true;
        break;
      }
    }
    slot.in_high = std::max(slot.in_high, slot.in_len);
    return true;
  }

  // Fill `slot` with batch slot.seq of a regular input, read at its offset.
  void read_batch_at(Slot& slot)
  {
    reset(slot);
    const uint64_t start = m_input->offset + slot.seq * m_in_cap;
    slot.in_len = slot.seq == m_last_seq ? static_cast<std::size_t>(m_input->size - start) : m_in_cap;
    slot.last = slot.at_end = slot.seq == m_last_seq;
    if (!pread_full(m_in_fd, {slot.in.data(), slot.in_len}, start)) {
      slot.error = Error{Errc::io,
                         errno == 0 ? std::string("the input became shorter while it was read")
                                    : fmt::format("cannot read the input: {}", errno_text(errno)),
                         {}};
    }
    slot.in_high = std::max(slot.in_high, slot.in_len);
  }

  void crypt_batch(Slot& slot, std::optional<cb::ChunkSealer>& sealer, std::optional<cb::ChunkOpener>& opener,
                   SecretBytes& scratch)
  {
    if (m_mode == Mode::encrypt) {
      seal_batch(slot, *sealer);
    } else {
      open_batch(slot, *opener, scratch);
    }
    slot.out_high = std::max(slot.out_high, slot.out_len);
  }

  void hash_batch(Slot& slot)
  {
    if (m_hash == nullptr) {
      return;
    }
    if (m_mode == Mode::encrypt) {
      m_hash->update({slot.out.data(), slot.out_len});
    } else {
      m_hash->update({slot.in.data(), slot.in_len});
    }
  }

  // Write what `slot` may release; true once the last batch is written.
  Result<bool> write_batch(Slot& slot, Totals& totals)
  {
    // Decrypt: out_len covers only chunks that authenticated.
    TRY_VOID(write_full(m_out_fd, {slot.out.data(), slot.out_len}));
    if (slot.error) {
      return std::unexpected(*slot.error);
    }
    totals.plaintext += slot.plaintext;
    totals.payload += slot.ciphertext;
    if (m_writeback) {
      m_writeback->written(slot.out_len);
    }
    if (m_progress) {
      m_progress(totals.plaintext);
    }
    return slot.last;
  }

  void reader()
  {
    for (uint64_t seq = 0;; ++seq) {
      Slot& slot = slot_for(seq);
      {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return m_cancelled || slot.state == Slot::State::free; });
        if (m_cancelled) {
          return;
        }
      }
      // The slot is ours alone until we publish it.
      slot.seq = seq;
      if (!read_batch(slot)) {
        return;
      }
      {
        std::lock_guard lock(m_mutex);
        slot.state = Slot::State::read;
      }
      m_cv.notify_all();
      if (slot.last) {
        return;
      }
    }
  }

  void worker(std::optional<cb::ChunkSealer>& sealer, std::optional<cb::ChunkOpener>& opener)
  {
    // A worker claims the next batch: one the reader filled, or (regular input) a free slot it fills.
    const auto claimable = m_input ? Slot::State::free : Slot::State::read;
    SecretBytes scratch;
    for (;;) {
      Slot* slot = nullptr;
      {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock,
                  [&] { return m_cancelled || m_claim_done || slot_for(m_next_claim).state == claimable; });
        if (m_cancelled || m_claim_done) {
          return;
        }
        slot = &slot_for(m_next_claim);
        slot->state = Slot::State::claimed;
        slot->seq = m_next_claim++;
        if (m_input ? slot->seq == m_last_seq : slot->last) {
          m_claim_done = true;
          m_cv.notify_all();
        }
      }
      if (m_input) {
        read_batch_at(*slot);
      }
      crypt_batch(*slot, sealer, opener, scratch);
      {
        std::lock_guard lock(m_mutex);
        slot->state = Slot::State::crypted;
      }
      m_cv.notify_all();
    }
  }

  void seal_batch(Slot& slot, cb::ChunkSealer& sealer)
  {
    if (slot.error) {
      return;
    }
    const uint64_t first = slot.seq * chunks_per_batch;
    const std::size_t full = slot.in_len / cb::chunk_size;
    const std::size_t chunks = slot.at_end ? full + 1 : full; // the final chunk is short, maybe empty
    if (first + chunks > cb::max_chunks) {
      slot.error = Error{Errc::io, "the input is too long: a matter file holds at most 2^38 chunks (4 PiB)", {}};
      return;
    }
    std::size_t in_pos = 0;
    std::size_t out_pos = 0;
    for (std::size_t i = 0; i < chunks; ++i) {
      const std::size_t n = std::min(cb::chunk_size, slot.in_len - in_pos);
      auto sealed = sealer.seal(first + i, {slot.in.data() + in_pos, n}, {slot.out.data() + out_pos, n + cb::tag_size});
      if (!sealed) {
        slot.error = sealed.error();
        slot.out_len = 0;
        return;
      }
      in_pos += n;
      out_pos += n + cb::tag_size;
    }
    slot.out_len = out_pos;
    slot.plaintext = in_pos;
    slot.ciphertext = out_pos;
  }

  void open_batch(Slot& slot, cb::ChunkOpener& opener, SecretBytes& scratch)
  {
    if (slot.error) {
      return;
    }
    const uint64_t first = slot.seq * chunks_per_batch;
    const std::size_t full = slot.in_len / cb::sealed_chunk_size;
    const std::size_t rest = slot.in_len % cb::sealed_chunk_size;
    // Unless the input ended in this batch, the reader filled it: full chunks only. A chunk is opened
    // only once it is known to be full (16400 bytes) or to end the input (the short final chunk).
    const std::size_t chunks = full + (slot.at_end && rest >= cb::tag_size ? 1 : 0);
    if (first + chunks > cb::max_chunks) {
      slot.error = Error{Errc::auth_failed, "the file is too long: more than 2^38 chunks", {}};
      return;
    }
    std::size_t in_pos = 0;
    std::size_t out_pos = 0;
    for (std::size_t i = 0; i < chunks; ++i) {
      const std::size_t n = std::min(cb::sealed_chunk_size, slot.in_len - in_pos);
      const std::span<const uint8_t> sealed{slot.in.data() + in_pos, n};
      auto opened = opener.open(first + i, sealed, {slot.out.data() + out_pos, n - cb::tag_size});
      if (!opened) {
        if (opened.error().code == Errc::auth_failed) {
          if (scratch.size() == 0) {
            auto buffer = SecretBytes::allocate(cb::sealed_chunk_size);
            if (!buffer) {
              slot.error = buffer.error();
              break;
            }
            scratch = std::move(*buffer);
          }
          const bool at_end = slot.at_end && in_pos + n == slot.in_len;
          slot.error = opener.diagnose(first + i, sealed, at_end, scratch.span());
        } else {
          slot.error = opened.error();
        }
        break;
      }
      in_pos += n;
      out_pos += n - cb::tag_size;
    }
    slot.out_len = out_pos; // only authenticated chunks
    slot.plaintext = out_pos;
    slot.ciphertext = in_pos;
    if (!slot.error && slot.at_end && rest < cb::tag_size) {
      slot.error = cb::truncated_before_final_chunk(first + full);
    }
  }

  void hasher()
  {
    for (uint64_t seq = 0;; ++seq) {
      Slot& slot = slot_for(seq);
      {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] {
          // Decrypting, the ciphertext can be hashed as soon as the reader has published it (state !=
          // free); a batch read at its offset by a worker, once the worker is done with it.
          const bool ready = m_mode == Mode::decrypt && !m_input ? slot.state != Slot::State::free
                                                                 : slot.state == Slot::State::crypted;
          return m_cancelled || (ready && slot.seq == seq);
        });
        if (m_cancelled) {
          return;
        }
      }
      hash_batch(slot);
      const bool last = slot.last;
      {
        std::lock_guard lock(m_mutex);
        slot.hashed = true;
        if (slot.written) {
          slot.state = Slot::State::free;
        }
      }
      m_cv.notify_all();
      if (last) {
        return;
      }
    }
  }

  Result<Totals> writer()
  {
    Totals totals;
    for (uint64_t seq = 0;; ++seq) {
      Slot& slot = slot_for(seq);
      {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return slot.state == Slot::State::crypted && slot.seq == seq; });
      }
      const bool last = TRY(write_batch(slot, totals));
      {
        std::lock_guard lock(m_mutex);
        slot.written = true;
        if (slot.hashed || m_hash == nullptr) {
          slot.state = Slot::State::free;
        }
      }
      m_cv.notify_all();
      if (last) {
        return totals;
      }
    }
  }

  Mode m_mode;
  int m_in_fd;
  int m_out_fd;
  const cb::MessageKeys& m_keys;
  Sha256* m_hash;
  unsigned m_workers;
  const ProgressFn& m_progress;
  std::size_t m_in_cap = 0;
  std::size_t m_out_cap = 0;
  std::optional<RegularFile> m_input;   // read at offsets by the workers
  uint64_t m_last_seq = 0;              // with m_input: the last batch (the one shorter than a full batch)
  std::optional<Writeback> m_writeback; // for a regular output file
  int m_cancel_pipe[2] = {-1, -1};     // wakes a reader blocked on a pipe

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::array<Slot, slot_count> m_slots;
  uint64_t m_next_claim = 0;
  bool m_claim_done = false;
  bool m_cancelled = false;
};

Result<void> check_key(std::span<const uint8_t> key)
{
  if (key.size() != cb::key_size) {
    return fail(Errc::internal, "a data key must be {} bytes, not {}", cb::key_size, key.size());
  }
  return {};
}

} // namespace

std::size_t encoded_header_size(uint8_t format_version)
{
  return format_version >= 2 ? header_v2_size : header_size;
}

std::vector<uint8_t> encode_header(const MatterFileHeader& header)
{
  std::vector<uint8_t> bytes(encoded_header_size(header.format_version));
  std::copy(header_magic.begin(), header_magic.end(), bytes.begin());
  bytes[5] = header.format_version;
  std::copy(header.matter_id.begin(), header.matter_id.end(), bytes.begin() + 6);
  for (std::size_t i = 0; i < 4; ++i) {
    bytes[22 + i] = static_cast<uint8_t>(header.key_version >> (8 * (3 - i)));
  }
  if (header.format_version >= 2) {
    std::copy(header.ephemeral_public.begin(), header.ephemeral_public.end(), bytes.begin() + header_size);
  }
  return bytes;
}

Result<MatterFileHeader> parse_header(std::span<const uint8_t> bytes)
{
  const std::size_t magic_seen = std::min(bytes.size(), header_magic.size());
  if (bytes.empty()) {
    return fail(Errc::parse, "not a complycli matter file: it is empty");
  }
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(magic_seen), header_magic.begin())) {
    return fail(Errc::parse, "not a complycli matter file (it does not start with \"CMPLY\")");
  }
  if (bytes.size() <= 5) {
    return fail(Errc::parse, "truncated header: the file ends after {} of its {} header bytes", bytes.size(),
                header_size);
  }
  MatterFileHeader header;
  header.format_version = bytes[5];
  if (header.format_version != legacy_format_version && header.format_version != current_format_version) {
    return fail_with_hint(Errc::parse, "a newer complycli may read it",
                          "unsupported format version {} (this complycli reads versions {} and {})",
                          header.format_version, legacy_format_version, current_format_version);
  }
  const std::size_t size = encoded_header_size(header.format_version);
  if (bytes.size() < size) {
    return fail(Errc::parse, "truncated header: the file ends after {} of its {} header bytes", bytes.size(), size);
  }
  std::copy(bytes.begin() + 6, bytes.begin() + 22, header.matter_id.begin());
  header.key_version = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    header.key_version = (header.key_version << 8) | bytes[22 + i];
  }
  if (header.key_version == 0) {
    return fail(Errc::parse, "invalid header: key version 0");
  }
  if (header.format_version >= 2) {
    std::copy_n(bytes.begin() + header_size, header.ephemeral_public.size(), header.ephemeral_public.begin());
  }
  return header;
}

std::vector<uint8_t> header_context(const MatterFileHeader& header)
{
  std::vector<uint8_t> context(context_domain.begin(), context_domain.end());
  context.push_back(0);
  const auto bytes = encode_header(header);
  context.insert(context.end(), bytes.begin(), bytes.end());
  return context;
}

std::optional<uint64_t> plaintext_size_for(uint64_t file_size, uint8_t format_version)
{
  const std::size_t size = encoded_header_size(format_version);
  if (file_size < size) {
    return std::nullopt;
  }
  return cb::plaintext_size(file_size - size);
}

Result<MatterFileHeader> read_header(int in_fd)
{
  std::array<uint8_t, max_header_size> bytes{};
  std::size_t n = TRY(read_full(in_fd, std::span(bytes).first(header_size)));
  if (n == header_size && bytes[5] == current_format_version) {
    n += TRY(read_full(in_fd, std::span(bytes).subspan(header_size, header_v2_size - header_size)));
  }
  return parse_header(std::span(bytes).first(n));
}

Result<StreamStats> encrypt_payload(int in_fd, int out_fd, std::span<const uint8_t> input_key,
                                    std::span<const uint8_t> context, std::span<const uint8_t> prefix,
                                    const StreamOptions& options)
{
  TRY_VOID(check_key(input_key));
  cb::Salt salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return fail(Errc::internal, "cannot generate a salt");
  }
  const auto keys = TRY(cb::derive(input_key, salt, context));
  std::optional<Sha256> hash;
  if (options.digest == Digest::sha256) {
    hash.emplace(TRY(Sha256::create()));
  }
  std::vector<uint8_t> head(prefix.begin(), prefix.end());
  head.insert(head.end(), salt.begin(), salt.end());
  head.insert(head.end(), keys.commitment.begin(), keys.commitment.end());
  TRY_VOID(write_full(out_fd, head));
  if (hash) {
    hash->update(head);
  }
  Pipeline pipeline(Mode::encrypt, in_fd, out_fd, keys, hash ? &*hash : nullptr, options);
  const auto totals = TRY(pipeline.run());
  StreamStats stats;
  stats.plaintext_bytes = totals.plaintext;
  stats.ciphertext_bytes = head.size() + totals.payload;
  stats.salt = salt;
  stats.commitment = keys.commitment;
  if (hash) {
    stats.ciphertext_sha256 = hash->finish();
  }
  return stats;
}

Result<StreamStats> decrypt_payload(int in_fd, int out_fd, std::span<const uint8_t> input_key,
                                    std::span<const uint8_t> context, std::span<const uint8_t> prefix,
                                    const StreamOptions& options)
{
  TRY_VOID(check_key(input_key));
  std::array<uint8_t, cb::prefix_size> head{};
  const std::size_t n = TRY(read_full(in_fd, head));
  if (n < head.size()) {
    return std::unexpected(Error{
        Errc::auth_failed,
        fmt::format("file ends before its final chunk (it ends inside the salt and key commitment, after {} of "
                    "their {} bytes)",
                    n, head.size()),
        {}});
  }
  cb::Salt salt{};
  std::copy_n(head.begin(), cb::salt_size, salt.begin());
  const auto keys = TRY(cb::derive(input_key, salt, context));
  if (!cb::commitment_matches(keys.commitment, std::span(head).subspan<cb::salt_size, cb::commitment_size>())) {
    return std::unexpected(cb::commitment_mismatch());
  }
  std::optional<Sha256> hash;
  if (options.digest == Digest::sha256) {
    hash.emplace(TRY(Sha256::create()));
    hash->update(prefix);
    hash->update(head);
  }
  Pipeline pipeline(Mode::decrypt, in_fd, out_fd, keys, hash ? &*hash : nullptr, options);
  const auto totals = TRY(pipeline.run());
  StreamStats stats;
  stats.plaintext_bytes = totals.plaintext;
  stats.ciphertext_bytes = prefix.size() + head.size() + totals.payload;
  stats.salt = salt;
  stats.commitment = keys.commitment;
  if (hash) {
    stats.ciphertext_sha256 = hash->finish();
  }
  return stats;
}

Result<StreamStats> encrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const StreamOptions& options)
{
  if ((header.format_version != legacy_format_version && header.format_version != current_format_version) ||
      header.key_version == 0) {
    return fail(Errc::internal, "cannot write a header with format version {} and key version {}",
                header.format_version, header.key_version);
  }
  const auto bytes = encode_header(header);
  return encrypt_payload(in_fd, out_fd, key.view(), header_context(header), bytes, options);
}

Result<StreamStats> decrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const StreamOptions& options)
{
  const auto bytes = encode_header(header);
  return decrypt_payload(in_fd, out_fd, key.view(), header_context(header), bytes, options);
}

Result<StreamStats> encrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const ProgressFn& progress)
{
  return encrypt_stream(in_fd, out_fd, header, key, StreamOptions{progress, Digest::sha256, 0});
}

Result<StreamStats> decrypt_stream(int in_fd, int out_fd, const MatterFileHeader& header, const SecretBytes& key,
                                   const ProgressFn& progress)
{
  return decrypt_stream(in_fd, out_fd, header, key, StreamOptions{progress, Digest::sha256, 0});
}

} // namespace complycli::crypto
