package summarize

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
)

// CachedEmbedder keeps embeddings on disk, keyed by sha256(model id + NUL
// + text), so training and evaluation runs embed each sentence once. The
// cache is one append-only file of records (32-byte key, uint32 width,
// width little-endian float32s); a torn last record is ignored.
// It is safe for concurrent use within one process.
type CachedEmbedder struct {
	inner   Embedder
	modelID string

	mu   sync.Mutex
	mem  map[[32]byte][]float32
	file *os.File
	w    *bufio.Writer
	// Hits and Misses count texts served from the cache and embedded.
	Hits, Misses int
}

// OpenCache opens (creating it if needed) the cache file path for
// embeddings of inner, which is the model modelID.
func OpenCache(path, modelID string, inner Embedder) (*CachedEmbedder, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	c := &CachedEmbedder{inner: inner, modelID: modelID, mem: map[[32]byte][]float32{}}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	good, err := c.load(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("embedding cache %s: %w", path, err)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	c.file = f
	c.w = bufio.NewWriterSize(f, 1<<20)
	return c, nil
}

// load reads the records of f and returns the length of its whole records.
func (c *CachedEmbedder) load(f *os.File) (int64, error) {
	r := bufio.NewReaderSize(f, 1<<20)
	var good int64
	var head [36]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return good, nil
		}
		var key [32]byte
		copy(key[:], head[:32])
		n := binary.LittleEndian.Uint32(head[32:])
		if n > 1<<16 {
			return good, nil
		}
		buf := make([]byte, 4*n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return good, nil
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		c.mem[key] = v
		good += int64(36 + len(buf))
	}
}

func (c *CachedEmbedder) key(text string) [32]byte {
	h := sha256.New()
	h.Write([]byte(c.modelID))
	h.Write([]byte{0})
	h.Write([]byte(text))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Embed returns cached embeddings and embeds the rest in one call to the
// inner Embedder.
func (c *CachedEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	keys := make([][32]byte, len(texts))
	var missing []string
	var where []int
	c.mu.Lock()
	for i, t := range texts {
		keys[i] = c.key(t)
		if v, ok := c.mem[keys[i]]; ok {
			out[i] = v
			c.Hits++
		} else {
			missing = append(missing, t)
			where = append(where, i)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	if c.inner == nil {
		return nil, errors.New("summarize: embedding cache miss and no encoder")
	}
	vecs, err := c.inner.Embed(ctx, missing)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(missing) {
		return nil, fmt.Errorf("summarize: encoder returned %d embeddings for %d texts", len(vecs), len(missing))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Misses += len(missing)
	var head [36]byte
	for j, i := range where {
		out[i] = vecs[j]
		if _, ok := c.mem[keys[i]]; ok {
			continue
		}
		c.mem[keys[i]] = vecs[j]
		copy(head[:32], keys[i][:])
		binary.LittleEndian.PutUint32(head[32:], uint32(len(vecs[j])))
		c.w.Write(head[:])
		var b [4]byte
		for _, x := range vecs[j] {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
			c.w.Write(b[:])
		}
	}
	return out, c.w.Flush()
}

// Len returns how many embeddings the cache holds.
func (c *CachedEmbedder) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mem)
}

// Close flushes and closes the cache file.
func (c *CachedEmbedder) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.w.Flush(), c.file.Close())
}
