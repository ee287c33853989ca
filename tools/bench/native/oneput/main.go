// mb-oneput: the e2e bench's baseline of the original Go services' strategy, as a
// server. CollectorService.CreateEventLog and StreamEventLog put each sighting into etcd
// with its own request, awaited in turn, under the original's key and value
// (`/{prefix}/detectors/{detector}/{bucket}/{ULID}.{device}`, the bucket the unix second
// rounded down to 100, the ULID's 80-bit part drawn from math/rand seeded with the
// sighting's nanoseconds; value base64 of `{"Timestamp":<unix nanoseconds>}`). The device
// id is stored as received: the original leaves hashing to the detectors.
// QueryService.GetEvents is the original's read: one ascending range request with the
// limit over the detector's keys (from the bucket of range.after to the end of the bucket
// of range.before, or the whole detector), decoded and grouped per device.
//
//	mb-oneput --etcd 127.0.0.1:2379 --port 0 --prefix tdc
//
// prints the bound port on stdout as one line once it serves; stops on SIGTERM or SIGINT.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/signal"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	collector "mbbench/pb/collector"
	query "mbbench/pb/query"

	empty "github.com/golang/protobuf/ptypes/empty"
	timestamp "github.com/golang/protobuf/ptypes/timestamp"
	"go.etcd.io/etcd/clientv3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const bucketSeconds = 100
const ulidLength = 26
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

type store struct {
	etcd   *clientv3.Client
	prefix string
}

func main() {
	endpoint := flag.String("etcd", "127.0.0.1:2379", "etcd endpoint")
	port := flag.Int("port", 0, "gRPC port on 127.0.0.1 (0: the system picks one)")
	prefix := flag.String("prefix", "tdc", "keyspace prefix (the original's --etcd.prefix)")
	flag.Parse()

	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{*endpoint}, DialTimeout: 10 * time.Second})
	if err != nil {
		fail("cannot connect to etcd at %s: %v", *endpoint, err)
	}
	defer etcd.Close()
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fail("cannot listen: %v", err)
	}
	s := &store{etcd: etcd, prefix: *prefix}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(64 * 1024 * 1024))
	collector.RegisterCollectorServiceServer(server, &collectorService{store: s})
	query.RegisterQueryServiceServer(server, &queryService{store: s})
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		server.GracefulStop()
	}()
	fmt.Println(listener.Addr().(*net.TCPAddr).Port)
	if err := server.Serve(listener); err != nil {
		fail("serve: %v", err)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "mb-oneput: "+format+"\n", args...)
	os.Exit(1)
}

type collectorService struct {
	collector.UnimplementedCollectorServiceServer
	store *store
}

func (c *collectorService) CreateEventLog(ctx context.Context, log *collector.EventLog) (*empty.Empty, error) {
	if _, err := c.store.putLog(ctx, log); err != nil {
		return nil, err
	}
	return &empty.Empty{}, nil
}

func (c *collectorService) StreamEventLog(stream collector.CollectorService_StreamEventLogServer) error {
	counts := &collector.SendStreamResponse{}
	for {
		log, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(counts)
		}
		if err != nil {
			return err
		}
		logCounts, err := c.store.putLog(stream.Context(), log)
		if err != nil {
			return err
		}
		counts.Wifi += logCounts.Wifi
		counts.Bluetooth += logCounts.Bluetooth
		counts.Mobile += logCounts.Mobile
	}
}

// putLog puts every sighting of the log, one etcd request each, awaited in turn.
func (s *store) putLog(ctx context.Context, log *collector.EventLog) (*collector.SendStreamResponse, error) {
	detector := log.GetLoc().GetDetectorId()
	if detector == "" || strings.Contains(detector, "/") {
		return nil, status.Error(codes.InvalidArgument, "loc.detector_id: empty or holds a /")
	}
	counts := &collector.SendStreamResponse{}
	for _, event := range log.Events {
		var device string
		switch id := event.DeviceId.(type) {
		case *collector.DetectionEvent_Wifi:
			device = id.Wifi
			counts.Wifi += int64(len(event.Time))
		case *collector.DetectionEvent_Bluetooth:
			device = id.Bluetooth
			counts.Bluetooth += int64(len(event.Time))
		case *collector.DetectionEvent_Mobile:
			device = id.Mobile
			counts.Mobile += int64(len(event.Time))
		default:
			return nil, status.Error(codes.InvalidArgument, "events: a sighting has no device id")
		}
		for _, at := range event.Time {
			nanos := at.Seconds*1e9 + int64(at.Nanos)
			second := at.Seconds
			key := "/" + path.Join(s.prefix, "detectors", detector,
				strconv.FormatInt(second-second%bucketSeconds, 10), newULID(nanos)+"."+device)
			value, _ := json.Marshal(struct{ Timestamp int64 }{nanos})
			if _, err := s.etcd.Put(ctx, key, base64.StdEncoding.EncodeToString(value)); err != nil {
				return nil, status.Error(codes.Unavailable, err.Error())
			}
		}
	}
	return counts, nil
}

// newULID: the time part the sighting's unix millisecond, the 80-bit part from math/rand
// seeded with its nanoseconds, as the original draws it.
func newULID(nanos int64) string {
	var entropy [10]byte
	rand.New(rand.NewSource(nanos)).Read(entropy[:])
	var text [ulidLength]byte
	ms := uint64(nanos / 1e6)
	for at := 9; at >= 0; at-- {
		text[at] = crockford[ms&31]
		ms >>= 5
	}
	// 80 bits as 16 five-bit digits, most significant first.
	var bits uint64
	var held uint
	out := 10
	for _, b := range entropy {
		bits = bits<<8 | uint64(b)
		held += 8
		for held >= 5 {
			held -= 5
			text[out] = crockford[(bits>>held)&31]
			out++
		}
	}
	return string(text[:])
}

type queryService struct {
	query.UnimplementedQueryServiceServer
	store *store
}

func (q *queryService) GetEvents(ctx context.Context, request *query.GetEventsRequest) (*query.GetEventsResponse, error) {
	response := &query.GetEventsResponse{}
	for _, detector := range request.DetectorIds {
		events, err := q.store.readEvents(ctx, detector, request.GetRange(), request.Limit)
		if err != nil {
			return nil, err
		}
		response.Events = append(response.Events, events...)
	}
	return response, nil
}

// readEvents is the original's read: one ascending range request with the limit.
func (s *store) readEvents(ctx context.Context, detector string, within *query.Range, limit int64) ([]*query.DetectionEvent, error) {
	detectorPrefix := "/" + path.Join(s.prefix, "detectors", detector) + "/"
	start := detectorPrefix
	end := clientv3.GetPrefixRangeEnd(detectorPrefix)
	if after := within.GetAfter(); after != nil {
		start = detectorPrefix + strconv.FormatInt(after.Seconds-after.Seconds%bucketSeconds, 10) + "/"
	}
	if before := within.GetBefore(); before != nil {
		end = detectorPrefix + strconv.FormatInt(before.Seconds-before.Seconds%bucketSeconds+bucketSeconds, 10) + "/"
	}
	options := []clientv3.OpOption{clientv3.WithRange(end)}
	if limit > 0 {
		options = append(options, clientv3.WithLimit(limit))
	}
	got, err := s.etcd.Get(ctx, start, options...)
	if err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	byDevice := map[string]*query.DetectionEvent{}
	var events []*query.DetectionEvent
	for _, kv := range got.Kvs {
		key := string(kv.Key)
		last := key[strings.LastIndexByte(key, '/')+1:]
		if len(last) < ulidLength+2 || last[ulidLength] != '.' {
			continue
		}
		device := last[ulidLength+1:]
		decoded, err := base64.StdEncoding.DecodeString(string(kv.Value))
		if err != nil {
			continue
		}
		var value struct{ Timestamp int64 }
		if json.Unmarshal(decoded, &value) != nil {
			continue
		}
		event, seen := byDevice[device]
		if !seen {
			event = &query.DetectionEvent{DeviceId: device, DetectorId: detector}
			byDevice[device] = event
			events = append(events, event)
		}
		event.Time = append(event.Time, &timestamp.Timestamp{
			Seconds: value.Timestamp / 1e9,
			Nanos:   int32(value.Timestamp % 1e9),
		})
	}
	return events, nil
}
