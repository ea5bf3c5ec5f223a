"""Zero-copy exchange through DLPack: Tensor.__dlpack__ / __dlpack_device__ (so that
numpy.from_dlpack, torch.from_dlpack, cupy.from_dlpack read a Tensor's memory in place)
and array_from_dlpack, behind tensor.from_dlpack (a Tensor on the memory of any DLPack
producer: numpy, torch, cupy ...)."""

# DLPack device types (dlpack.h's DLDeviceType)
_CPU, _CUDA, _CUDA_HOST, _CUDA_MANAGED = 1, 2, 3, 13


class DLPackOps:
    """The DLPack producer protocol, delegated to the array inside the Tensor."""

    __slots__ = ()

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of this tensor's memory (no copy unless copy=True). As in
        PyTorch, a tensor that requires grad must be detached first."""
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use "
                               "tensor.detach()")
        kwargs = {}   # pass on only what the consumer gave: older producers lack keywords
        if stream is not None:
            kwargs["stream"] = stream
        if max_version is not None:
            kwargs["max_version"] = max_version
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        if copy is not None:
            kwargs["copy"] = copy
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        """(device type, device id): (1, 0) for the CPU, (2, id) for a CUDA GPU."""
        return self._data.__dlpack_device__()


def array_from_dlpack(ext):
    """The numpy (CPU) or cupy (CUDA) array on the memory of a DLPack producer, no copy."""
    if not (hasattr(ext, "__dlpack__") and hasattr(ext, "__dlpack_device__")):
        raise TypeError("from_dlpack expects an object with __dlpack__ and __dlpack_device__ "
                        "(a numpy array, torch tensor, cupy array ...), got %s"
                        % type(ext).__name__)
    device_type = int(ext.__dlpack_device__()[0])
    if device_type in (_CPU, _CUDA_HOST):
        import numpy
        array = numpy.from_dlpack(ext)
    elif device_type in (_CUDA, _CUDA_MANAGED):
        try:
            import cupy
        except ImportError as e:
            raise RuntimeError("from_dlpack: the object lives on a CUDA device; fastconv "
                               "needs CuPy for GPU tensors (pip install fastconv[gpu])") from e
        array = cupy.from_dlpack(ext)
    else:
        raise BufferError("from_dlpack: DLPack device type %d is not supported (CPU and "
                          "CUDA are)" % device_type)
    if array.dtype.kind not in "fiub":
        raise TypeError("from_dlpack: unsupported dtype %s" % array.dtype)
    return array
