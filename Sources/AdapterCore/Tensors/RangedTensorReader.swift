/// A ``TensorReader`` that reads any byte range of a tensor, from several threads at once
/// (positioned reads, no shared cursor): lets import stream a tensor through a small buffer on
/// every core instead of holding it whole.
public protocol RangedTensorReader<Failure>: TensorReader {
    /// Fills `buffer` with the tensor's stored bytes from byte `offset` (`offset + buffer.count`
    /// is at most its byte count). Safe to call from several threads at once.
    func readRawBytes(of name: String, from offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(Failure)
}
