// Command freeport prints free loopback ports, one per line, so shell
// scripts can pick ports for local servers without guessing.
//
// Each port is found by letting the kernel choose (binding port 0). With
// -proto both (the default) a port is accepted only if it can be bound for
// TCP and for UDP at the same time, which suits DNS servers. All chosen
// ports are held until the whole set is chosen, so one call never prints
// the same port twice.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	n := flag.Int("n", 1, "how many ports to print")
	proto := flag.String("proto", "both", "tcp, udp or both (free for TCP and UDP)")
	host := flag.String("host", "127.0.0.1", "address to bind")
	flag.Parse()
	if *n < 1 || *n > 1000 {
		fatalf("-n must be between 1 and 1000")
	}
	if *proto != "tcp" && *proto != "udp" && *proto != "both" {
		fatalf("-proto must be tcp, udp or both")
	}
	var held []io.Closer
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	ports := make([]int, 0, *n)
	for attempts := 0; len(ports) < *n; attempts++ {
		if attempts > 100*(*n) {
			fatalf("could not find %d free %s ports on %s", *n, *proto, *host)
		}
		port, closers, err := pick(*host, *proto)
		held = append(held, closers...)
		if err != nil {
			continue
		}
		ports = append(ports, port)
	}
	for _, p := range ports {
		fmt.Println(p)
	}
}

// pick binds one port chosen by the kernel and returns it with the sockets
// that keep it reserved.
func pick(host, proto string) (int, []io.Closer, error) {
	if proto == "udp" {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, nil, err
		}
		return pc.LocalAddr().(*net.UDPAddr).Port, []io.Closer{pc}, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	closers := []io.Closer{l}
	if proto == "both" {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, fmt.Sprint(port)))
		if err != nil {
			return 0, closers, err
		}
		closers = append(closers, pc)
	}
	return port, closers, nil
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "freeport: "+format+"\n", args...)
	os.Exit(2)
}
