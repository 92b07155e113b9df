// Package workers builds mlpipe's Temporal workers: the CPU worker on
// mlpipe-cpu (workflows and CPU activities) and the GPU worker on
// mlpipe-gpu (training), plus the client they share.
package workers
