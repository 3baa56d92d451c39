/// Which request each of the server's questions came with: Streamable HTTP servers ask on the stream
/// of the POST whose handling needs the answer. Bounded: only the newest `limit` are kept, as a
/// question is answered within its request's life.
struct RelatedQuestions {
    private var request: [RequestID: RequestID] = [:]
    private var order: [RequestID] = []
    let limit = 256

    mutating func record(_ question: RequestID, askedFor owner: RequestID) {
        if request.updateValue(owner, forKey: question) == nil { order.append(question) }
        if order.count > limit { request[order.removeFirst()] = nil }
    }

    func owner(of question: RequestID) -> RequestID? { request[question] }
}

extension StreamableHTTPUpstream {
    public func relatedRequest(ofServerRequest id: RequestID) -> RequestID? {
        state.withLock { $0.questions.owner(of: id) }
    }
}
