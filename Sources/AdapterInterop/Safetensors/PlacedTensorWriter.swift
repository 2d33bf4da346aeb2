import AdapterCore

/// A ``TensorWriter`` whose tensors have fixed places in files it holds open (safetensors data
/// offsets are laid out from the header up front): a caller may claim a tensor's place and
/// `pwrite` its bytes there itself, from any thread, so an export copies tensors on every core.
public protocol PlacedTensorWriter: TensorWriter where Failure == InteropError {
    /// The output's destination path, named in errors.
    var destination: String { get }

    /// Claims declared tensor `info` (as ``TensorWriter/write(_:bytes:digest:)`` would write it)
    /// and returns where its `info.byteCount` bytes go. The caller writes them all before
    /// finishing the writer; a writer dropped unfinished deletes its output as always.
    func place(_ info: TensorInfo) throws(InteropError) -> (descriptor: Int32, offset: Int)
}
