import CKeeperSystem
#if canImport(Glibc)
import Glibc
#endif

/// A pipe whose ends are not inherited by processes other tests spawn meanwhile.
func makePipe() -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    let rc = keeper_pipe_cloexec(&fds)
    precondition(rc == 0, "pipe failed")
    return (fds[0], fds[1])
}

/// Which file `fd` names (device and inode), nil when it names none.
func fileIdentity(_ fd: Int32) -> [UInt64]? {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    return [UInt64(info.st_dev), UInt64(info.st_ino)]
}
