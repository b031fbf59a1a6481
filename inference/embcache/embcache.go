// Package embcache keeps sentence embeddings on disk so that training and
// evaluation runs embed each text once.
package embcache

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
	"strings"
	"sync"
)

// Embedder turns texts into embeddings, one per text and in order.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Cache remembers the embeddings of an Embedder on disk, keyed by
// the SHA-256 of the encoder id and the text, so that retraining on the
// same data does not embed it again. The cache is one append-only file
// per encoder; a torn last record (a crash mid-write) is dropped on open.
// It is safe for concurrent use within one process.
type Cache struct {
	inner   Embedder
	modelID string
	path    string

	mu     sync.Mutex
	mem    map[[32]byte][]float32
	f      *os.File
	hits   int
	misses int
}

const cacheMagic = "newsintel-embcache-1\n"

// Open opens (creating it if needed) the cache of encoder modelID in dir,
// in front of inner.
func Open(inner Embedder, modelID, dir string) (*Cache, error) {
	if modelID == "" {
		return nil, errors.New("embcache: the embedding cache needs the encoder id")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("embcache: %w", err)
	}
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' {
			return '_'
		}
		return r
	}, modelID)
	c := &Cache{inner: inner, modelID: modelID, path: filepath.Join(dir, safe+".emb"), mem: map[[32]byte][]float32{}}
	f, err := os.OpenFile(c.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("embcache: %w", err)
	}
	good, err := c.read(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("embcache: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("embcache: %w", err)
	}
	if good == 0 {
		if _, err := f.WriteString(cacheMagic); err != nil {
			f.Close()
			return nil, fmt.Errorf("embcache: %w", err)
		}
	}
	c.f = f
	return c, nil
}

// read loads every complete record and returns the offset past the last.
func (c *Cache) read(f *os.File) (int64, error) {
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(cacheMagic))
	if _, err := io.ReadFull(r, magic); err != nil {
		return 0, nil // empty or torn header: start afresh
	}
	if string(magic) != cacheMagic {
		return 0, fmt.Errorf("embcache: %s is not an embedding cache", c.path)
	}
	off := int64(len(cacheMagic))
	var key [32]byte
	var n [4]byte
	for {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return off, nil
		}
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return off, nil
		}
		dim := binary.LittleEndian.Uint32(n[:])
		if dim == 0 || dim > 1<<16 {
			return off, nil
		}
		raw := make([]byte, 4*dim)
		if _, err := io.ReadFull(r, raw); err != nil {
			return off, nil
		}
		v := make([]float32, dim)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		c.mem[key] = v
		off += int64(36 + len(raw))
	}
}

func (c *Cache) key(text string) [32]byte {
	h := sha256.New()
	io.WriteString(h, c.modelID)
	h.Write([]byte{0})
	io.WriteString(h, text)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Embed returns cached embeddings and embeds (and stores) the rest.
func (c *Cache) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	keys := make([][32]byte, len(texts))
	var missTexts []string
	missIdx := map[[32]byte][]int{}
	c.mu.Lock()
	for i, t := range texts {
		keys[i] = c.key(t)
		if v, ok := c.mem[keys[i]]; ok {
			out[i] = v
			c.hits++
			continue
		}
		if _, ok := missIdx[keys[i]]; !ok {
			missTexts = append(missTexts, t)
		}
		missIdx[keys[i]] = append(missIdx[keys[i]], i)
	}
	c.mu.Unlock()
	if len(missTexts) == 0 {
		return out, nil
	}
	vecs, err := c.inner.Embed(ctx, missTexts)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(missTexts) {
		return nil, fmt.Errorf("embcache: got %d embeddings for %d texts", len(vecs), len(missTexts))
	}
	var buf []byte
	c.mu.Lock()
	defer c.mu.Unlock()
	for j, t := range missTexts {
		k := c.key(t)
		v := vecs[j]
		for _, i := range missIdx[k] {
			out[i] = v
		}
		c.misses++
		if _, ok := c.mem[k]; ok {
			continue
		}
		c.mem[k] = v
		buf = append(buf, k[:]...)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(v)))
		for _, x := range v {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
	}
	if _, err := c.f.Write(buf); err != nil {
		return nil, fmt.Errorf("embcache: write the embedding cache: %w", err)
	}
	return out, nil
}

// Stats returns how many texts were served from the cache and how many
// were embedded.
func (c *Cache) Stats() (hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// Len returns how many embeddings the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mem)
}

// ModelID names the encoder.
func (c *Cache) ModelID() string { return c.modelID }

// Close closes the cache file.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.f.Close()
}

// PerText embeds every text in a call of its own, workers at a time, so
// that each embedding is a function of its text alone. The encoder pads
// the texts of one call to a common length and batches them, which moves
// an embedding by float rounding (up to ~2e-7 per component) with the
// other texts of the call; behind a Cache, which embeds only the texts it
// lacks, the embeddings a training run gets then depend on what the cache
// held before, and a model trained by gradient descent (the MLP head)
// differs between two runs with the same seed. Training uses it, under its
// own cache key (PerTextID), at some cost in throughput (~1.3× slower on
// two cores).
type PerText struct {
	Inner   Embedder
	Workers int
}

// PerTextID is the cache key of modelID's embeddings made one text at a
// time: they differ in rounding from batched ones, which must not mix.
func PerTextID(modelID string) string { return modelID + "/per-text" }

// Embed embeds texts one per call of Inner, in order.
func (p PerText) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(p.Workers, len(texts))) {
		wg.Go(func() {
			for i := range next {
				v, err := p.Inner.Embed(ctx, texts[i:i+1])
				if err == nil && len(v) != 1 {
					err = fmt.Errorf("embcache: got %d embeddings for one text", len(v))
				}
				if err != nil {
					cancel(err)
					continue
				}
				out[i] = v[0]
			}
		})
	}
	for i := range texts {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
