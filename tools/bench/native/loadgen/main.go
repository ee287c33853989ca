// mb-loadgen: the e2e bench's native load generator. Reads one job as JSON on stdin (the
// shape of tools/bench/src/e2e/load-jobs.ts's LoadJob: kinds unary, stream and
// get-events), runs it over one gRPC client connection (one HTTP/2 connection, as the
// Node load generator uses one client per address), and prints a LoadResult as JSON on
// stdout. The connection is up before the clock starts. A failed call ends the job with
// exit code 1 and the error on stderr, as the Node load generator's ingest jobs throw.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	collector "mbbench/pb/collector"
	query "mbbench/pb/query"
	"mbbench/sightings"

	timestamp "github.com/golang/protobuf/ptypes/timestamp"
	"google.golang.org/grpc"
)

type job struct {
	Kind        string         `json:"kind"`
	Collector   string         `json:"collector"`
	Query       string         `json:"query"`
	Plan        sightings.Plan `json:"plan"`
	Concurrency int            `json:"concurrency"`
	// Connections spreads unary calls over this many HTTP/2 connections (default 1): a
	// server with several worker processes takes each connection on one of them.
	Connections   int    `json:"connections"`
	LogsPerStream int    `json:"logsPerStream"`
	DetectorID    string `json:"detectorId"`
	// Unix seconds of the range, when given; without them GetEvents reads without a range.
	AfterSeconds  *int64 `json:"afterSeconds"`
	BeforeSeconds *int64 `json:"beforeSeconds"`
	// The request's limit; expectedSightings when absent.
	Limit             *int64 `json:"limit"`
	Repeats           int    `json:"repeats"`
	ExpectedSightings int    `json:"expectedSightings"`
}

type loadResult struct {
	Seconds     float64   `json:"seconds"`
	CPUSeconds  float64   `json:"cpuSeconds"`
	Sightings   int       `json:"sightings"`
	LatenciesMs []float64 `json:"latenciesMs"`
	FailedCalls int       `json:"failedCalls"`
}

func main() {
	var j job
	if err := json.NewDecoder(os.Stdin).Decode(&j); err != nil {
		fail("cannot read the job from stdin: %v", err)
	}
	address := j.Collector
	if j.Kind == "get-events" {
		address = j.Query
	}
	connections := j.Connections
	if connections < 1 {
		connections = 1
	}
	conns := make([]*grpc.ClientConn, connections)
	for index := range conns {
		conns[index] = dial(address)
		defer conns[index].Close()
	}
	conn := conns[0]

	var result loadResult
	switch j.Kind {
	case "unary":
		clients := make([]collector.CollectorServiceClient, len(conns))
		for index, each := range conns {
			clients[index] = collector.NewCollectorServiceClient(each)
		}
		result = timed(func() (int, []float64) { return runUnary(j, clients) })
	case "stream":
		result = timed(func() (int, []float64) { return runStreams(j, collector.NewCollectorServiceClient(conn)) })
	case "get-events":
		result = timed(func() (int, []float64) { return runGetEvents(j, query.NewQueryServiceClient(conn)) })
	default:
		fail("unknown job kind %q", j.Kind)
	}
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		fail("cannot write the result: %v", err)
	}
}

// dial connects before the clock starts; every ClientConn is an HTTP/2 connection of its own.
func dial(address string) *grpc.ClientConn {
	dialContext, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(dialContext, address, grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64*1024*1024)))
	if err != nil {
		fail("cannot connect to %s: %v", address, err)
	}
	return conn
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "mb-loadgen: "+format+"\n", args...)
	os.Exit(1)
}

// timed runs work and measures wall time and this process's CPU time (user + system) meanwhile.
func timed(work func() (int, []float64)) loadResult {
	cpuBefore := cpuSeconds()
	started := time.Now()
	sent, latencies := work()
	return loadResult{
		Seconds:     time.Since(started).Seconds(),
		CPUSeconds:  cpuSeconds() - cpuBefore,
		Sightings:   sent,
		LatenciesMs: latencies,
	}
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fail("getrusage: %v", err)
	}
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}

func sinceMs(started time.Time) float64 {
	return float64(time.Since(started).Nanoseconds()) / 1e6
}

func checkPlan(plan sightings.Plan) {
	if err := plan.Check(); err != nil {
		fail("%v", err)
	}
}

// runUnary: CreateEventLog calls of the plan's logs, `concurrency` in flight, caller i
// on connection i mod the connections.
func runUnary(j job, clients []collector.CollectorServiceClient) (int, []float64) {
	checkPlan(j.Plan)
	logs := j.Plan.LogCount()
	callers := j.Concurrency
	if callers > logs {
		callers = logs
	}
	var next int64 = -1
	var mutex sync.Mutex
	var wait sync.WaitGroup
	latencies := make([]float64, 0, logs)
	sent := 0
	for caller := 0; caller < callers; caller++ {
		client := clients[caller%len(clients)]
		wait.Add(1)
		go func() {
			defer wait.Done()
			own := make([]float64, 0, logs/callers+1)
			ownSent := 0
			for {
				index := int(atomic.AddInt64(&next, 1))
				if index >= logs {
					break
				}
				log := j.Plan.EventLogAt(index)
				started := time.Now()
				if _, err := client.CreateEventLog(context.Background(), log); err != nil {
					fail("CreateEventLog: %v", err)
				}
				own = append(own, sinceMs(started))
				ownSent += len(log.Events)
			}
			mutex.Lock()
			latencies = append(latencies, own...)
			sent += ownSent
			mutex.Unlock()
		}()
	}
	wait.Wait()
	return sent, latencies
}

// runStreams: StreamEventLog calls one after another, each of `logsPerStream` logs; a
// call's latency is from opening the stream to its response.
func runStreams(j job, client collector.CollectorServiceClient) (int, []float64) {
	checkPlan(j.Plan)
	logs := j.Plan.LogCount()
	latencies := []float64{}
	sent := 0
	for first := 0; first < logs; first += j.LogsPerStream {
		last := first + j.LogsPerStream
		if last > logs {
			last = logs
		}
		started := time.Now()
		stream, err := client.StreamEventLog(context.Background())
		if err != nil {
			fail("StreamEventLog: %v", err)
		}
		inStream := 0
		for index := first; index < last; index++ {
			log := j.Plan.EventLogAt(index)
			inStream += len(log.Events)
			if err := stream.Send(log); err != nil {
				fail("StreamEventLog send: %v", err)
			}
		}
		response, err := stream.CloseAndRecv()
		if err != nil {
			fail("StreamEventLog: %v", err)
		}
		latencies = append(latencies, sinceMs(started))
		acknowledged := int(response.Wifi + response.Bluetooth + response.Mobile)
		if acknowledged != inStream {
			fail("StreamEventLog acknowledged %d sightings of the %d sent", acknowledged, inStream)
		}
		sent += acknowledged
	}
	return sent, latencies
}

// runGetEvents: GetEvents of one detector, `repeats` calls in turn, each required to
// return `expectedSightings`.
func runGetEvents(j job, client query.QueryServiceClient) (int, []float64) {
	request := &query.GetEventsRequest{DetectorIds: []string{j.DetectorID}, Limit: int64(j.ExpectedSightings)}
	if j.Limit != nil {
		request.Limit = *j.Limit
	}
	if j.AfterSeconds != nil || j.BeforeSeconds != nil {
		request.Range = &query.Range{}
		if j.AfterSeconds != nil {
			request.Range.After = &timestamp.Timestamp{Seconds: *j.AfterSeconds}
		}
		if j.BeforeSeconds != nil {
			request.Range.Before = &timestamp.Timestamp{Seconds: *j.BeforeSeconds}
		}
	}
	latencies := make([]float64, 0, j.Repeats)
	read := 0
	for repeat := 0; repeat < j.Repeats; repeat++ {
		started := time.Now()
		response, err := client.GetEvents(context.Background(), request)
		if err != nil {
			fail("GetEvents: %v", err)
		}
		latencies = append(latencies, sinceMs(started))
		got := 0
		for _, event := range response.Events {
			got += len(event.Time)
		}
		if got != j.ExpectedSightings {
			fail("GetEvents returned %d sightings of %s, expected %d", got, j.DetectorID, j.ExpectedSightings)
		}
		read += got
	}
	return read, latencies
}
