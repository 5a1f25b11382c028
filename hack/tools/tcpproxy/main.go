// Command tcpproxy forwards TCP connections from a loopback port to a target
// and lets a test cut the path on demand, to partition a client from a server
// it reaches through the proxy. Bytes are copied as they are, so TLS passes
// through unchanged.
//
// Modes, switched over a small HTTP control port on loopback:
//
//	pass       bytes flow both ways; new connections are connected to the target
//	blackhole  a partition: every byte read from either side is held and none is
//	           delivered; new connections are accepted but not connected to the
//	           target. Connections stay open. Back to pass, held bytes are
//	           delivered, as TCP would retransmit them once a network heals.
//
// and one action:
//
//	reset      close every open connection at once (RST to both sides); the mode
//	           stays what it is.
//
// Control requests (curl -X POST http://<control>/pass):
//
//	POST /pass, POST /blackhole, POST /reset
//	GET  /status   one line: mode=<m> open=<n> accepted=<n> held=<bytes>
//
// At start it prints "listen=<addr> control=<addr>" as its first line on
// stdout (and writes the same line to -addr-file if given), so a script can
// start it on port 0 and read the ports back.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to accept connections on")
	target := flag.String("target", "", "address to forward to (host:port)")
	control := flag.String("control", "127.0.0.1:0", "address of the HTTP control port")
	mode := flag.String("mode", "pass", "initial mode: pass or blackhole")
	addrFile := flag.String("addr-file", "", "also write the address line to this file")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("tcpproxy: ")
	if *target == "" {
		fatalf("-target is required")
	}
	if *mode != "pass" && *mode != "blackhole" {
		fatalf("-mode must be pass or blackhole")
	}

	p := newProxy(*target, *mode == "blackhole")
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fatalf("listen: %v", err)
	}
	cl, err := net.Listen("tcp", *control)
	if err != nil {
		fatalf("control listen: %v", err)
	}
	line := fmt.Sprintf("listen=%s control=%s\n", ln.Addr(), cl.Addr())
	if *addrFile != "" {
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(line), 0o644); err != nil {
			fatalf("write %s: %v", tmp, err)
		}
		if err := os.Rename(tmp, *addrFile); err != nil {
			fatalf("rename %s: %v", tmp, err)
		}
	}
	fmt.Print(line)
	log.Printf("forwarding %s to %s, control on %s, mode %s", ln.Addr(), *target, cl.Addr(), p.modeName())

	server := &http.Server{Handler: p.controlHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := server.Serve(cl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fatalf("control server: %v", err)
		}
	}()
	go p.acceptLoop(ln)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	_ = ln.Close()
	_ = server.Close()
	p.reset()
}

type proxy struct {
	target string

	mu      sync.Mutex
	pass    chan struct{} // closed while the mode is pass
	conns   map[*pair]struct{}
	blocked bool

	accepted atomic.Int64
	held     atomic.Int64
}

// pair is one client connection and its upstream connection.
type pair struct {
	client net.Conn
	once   sync.Once
	done   chan struct{} // closed on reset or when both directions ended

	mu       sync.Mutex
	upstream net.Conn
}

func newProxy(target string, blackhole bool) *proxy {
	p := &proxy{target: target, conns: map[*pair]struct{}{}, pass: make(chan struct{})}
	if blackhole {
		p.blocked = true
	} else {
		close(p.pass)
	}
	return p
}

func (p *proxy) modeName() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blocked {
		return "blackhole"
	}
	return "pass"
}

func (p *proxy) setMode(blackhole bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if blackhole == p.blocked {
		return
	}
	p.blocked = blackhole
	if blackhole {
		p.pass = make(chan struct{})
	} else {
		close(p.pass)
	}
}

// waitPass blocks while the mode is blackhole; false if the pair was reset meanwhile.
func (p *proxy) waitPass(c *pair) bool {
	p.mu.Lock()
	pass := p.pass
	p.mu.Unlock()
	select {
	case <-pass:
	case <-c.done:
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

func (p *proxy) reset() int {
	p.mu.Lock()
	pairs := make([]*pair, 0, len(p.conns))
	for c := range p.conns {
		pairs = append(pairs, c)
	}
	p.mu.Unlock()
	for _, c := range pairs {
		c.abort()
	}
	return len(pairs)
}

func (p *proxy) acceptLoop(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			log.Printf("accept: %v", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.accepted.Add(1)
		c := &pair{client: conn, done: make(chan struct{})}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		go p.serve(c)
	}
}

func (p *proxy) serve(c *pair) {
	defer func() {
		c.close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	// A partition also stops new connections: connect upstream only once passing.
	if !p.waitPass(c) {
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	if err != nil {
		log.Printf("dial %s: %v", p.target, err)
		return
	}
	c.mu.Lock()
	c.upstream = up
	c.mu.Unlock()
	select {
	case <-c.done: // reset while dialling
		return
	default:
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(c, c.client, up) }()
	go func() { defer wg.Done(); p.pump(c, up, c.client) }()
	wg.Wait()
}

// pump copies src to dst, holding every chunk while the mode is blackhole. At EOF of
// src it half-closes dst once any held bytes are delivered.
func (p *proxy) pump(c *pair, src, dst net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.held.Add(int64(n))
			ok := p.waitPass(c)
			p.held.Add(-int64(n))
			if !ok {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				c.abort()
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && p.waitPass(c) {
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
					return
				}
			}
			c.abort()
			return
		}
	}
}

// abort closes both sides with a reset (no lingering, no FIN handshake).
func (c *pair) abort() {
	c.once.Do(func() { close(c.done) })
	c.mu.Lock()
	up := c.upstream
	c.mu.Unlock()
	for _, conn := range []net.Conn{c.client, up} {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
			_ = tc.Close()
		}
	}
}

// close ends a pair whose two directions are finished.
func (c *pair) close() {
	c.once.Do(func() { close(c.done) })
	c.mu.Lock()
	up := c.upstream
	c.mu.Unlock()
	_ = c.client.Close()
	if up != nil {
		_ = up.Close()
	}
}

func (p *proxy) status() string {
	p.mu.Lock()
	open := len(p.conns)
	p.mu.Unlock()
	return fmt.Sprintf("mode=%s open=%d accepted=%d held=%d\n",
		p.modeName(), open, p.accepted.Load(), p.held.Load())
}

func (p *proxy) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /pass", func(w http.ResponseWriter, _ *http.Request) {
		p.setMode(false)
		log.Printf("mode pass")
		_, _ = io.WriteString(w, p.status())
	})
	mux.HandleFunc("POST /blackhole", func(w http.ResponseWriter, _ *http.Request) {
		p.setMode(true)
		log.Printf("mode blackhole")
		_, _ = io.WriteString(w, p.status())
	})
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, _ *http.Request) {
		n := p.reset()
		log.Printf("reset %d connections", n)
		_, _ = io.WriteString(w, p.status())
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, p.status())
	})
	return mux
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "tcpproxy: "+format+"\n", args...)
	os.Exit(2)
}
