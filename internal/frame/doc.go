// Package frame is mlpipe's small columnar table: typed columns (float,
// string, time) with a null mask, read from and written to CSV. It is what
// validation, feature engineering and serving pass around in memory; it does
// no I/O beyond the io.Reader/io.Writer it is handed. ReadCSV is where data
// enters: it refuses text that is not UTF-8 and numbers that are not finite,
// naming the row and column, so nothing downstream has to.
package frame
