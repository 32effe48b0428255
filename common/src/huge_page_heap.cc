// The programs' heap on transparent huge pages, where the kernel grants them on request
// (/sys/kernel/mm/transparent_hugepage/enabled "madvise" or "always"). Linked into every program
// on tcmalloc (gcsim_allocator in cmake/gcsim.cmake); nothing calls it.
//
// Why: a million-leg world fills about 575 MB, and first touching that many 4 KiB pages is most
// of its cold build (1.5 of 2.3 s on the development machine); a 2 MiB page costs one fault
// instead of 512 (bench/README.md, "Memory and the 1M-leg build").

#include <gperftools/malloc_extension.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace {

constexpr uintptr_t kHugePage = uintptr_t{2} << 20;

uintptr_t RoundUp(uintptr_t n) { return (n + kHugePage - 1) & ~(kHugePage - 1); }

// Hands tcmalloc whole huge pages, aligned, advised MADV_HUGEPAGE; anything else, or a failed
// mapping, goes to tcmalloc's own system allocator.
class HugePageSysAllocator final : public SysAllocator {
 public:
  explicit HugePageSysAllocator(SysAllocator* fallback) : fallback_(fallback) {}

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    if (alignment > kHugePage || size > SIZE_MAX / 2) {
      return fallback_->Alloc(size, actual_size, alignment);
    }
    const uintptr_t rounded = RoundUp(size);
    // Map one huge page more than needed, then cut the unaligned head and the tail off.
    const uintptr_t mapped = rounded + kHugePage;
    void* got = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (got == MAP_FAILED) return fallback_->Alloc(size, actual_size, alignment);
    const auto start = reinterpret_cast<uintptr_t>(got);
    const uintptr_t aligned = RoundUp(start);
    if (aligned > start) munmap(got, aligned - start);
    const uintptr_t tail = start + mapped - (aligned + rounded);
    if (tail > 0) munmap(reinterpret_cast<void*>(aligned + rounded), tail);
    // Advice only: where huge pages are off or scarce, the range is ordinary memory.
    madvise(reinterpret_cast<void*>(aligned), rounded, MADV_HUGEPAGE);
    if (actual_size != nullptr) *actual_size = rounded;
    return reinterpret_cast<void*>(aligned);
  }

 private:
  SysAllocator* fallback_;
};

// Runs before main, while the program has one thread.
const bool kInstalled = [] {
  static HugePageSysAllocator allocator(MallocExtension::instance()->GetSystemAllocator());
  MallocExtension::instance()->SetSystemAllocator(&allocator);
  return true;
}();

}  // namespace
