package artifact

// SetPartSize lets tests exercise multipart uploads without gigabytes of data.
func (s *S3Store) SetPartSize(n int64) { s.partSize = n }
