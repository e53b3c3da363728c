#pragma once

#include "lwm2m_path.h"
#include "senml_json.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <map>
#include <optional>

namespace lwm2mgw::peers {

enum class ResourceType { String, Integer, Float, Boolean, Opaque };

// Write-Attributes (Core 5.4.4) by name, e.g. "pmin" -> "10". Sorted so Discover is stable.
using Attributes = std::map<QString, QString>;

struct ResourceNode {
    ResourceType type = ResourceType::String;
    bool executable = false;
    bool multiple = false;
    std::map<int, QByteArray> values;  // instance id -> value; a single resource uses id 0
    Attributes attributes;
};

struct InstanceNode {
    std::map<int, ResourceNode> resources;
    Attributes attributes;
};

struct ObjectNode {
    std::map<int, InstanceNode> instances;
    Attributes attributes;
};

// An LwM2M client's data model: objects -> instances -> resources -> resource instances,
// values kept as text (opaque as raw bytes).
class ObjectTree {
public:
    enum class Status { Ok, NotFound, MethodNotAllowed, BadRequest };

    ObjectNode* object(int id);
    InstanceNode* instance(int object, int instance);
    ResourceNode* resource(const Lwm2mPath& path);
    const ResourceNode* resource(const Lwm2mPath& path) const;
    bool exists(const Lwm2mPath& path) const;
    Attributes* attributes(const Lwm2mPath& path);

    ObjectNode& addObject(int id);
    InstanceNode& addInstance(int object, int instance);
    bool removeInstance(int object, int instance);
    std::optional<int> freeInstanceId(int object) const;
    // Creates the resource (and the instance) when missing; depth 4 makes it multi-instance.
    void set(const Lwm2mPath& path, ResourceType type, const QByteArray& value);
    void addExecutable(const Lwm2mPath& path);

    // Values below path, one record per (resource instance) value, executables left out.
    QList<SenmlRecord> read(const Lwm2mPath& path) const;
    // Applies typed text to an existing resource (instance).
    Status writeText(const Lwm2mPath& path, const QByteArray& text);
    // Applies SenML records below target. replace: Write "Replace" semantics (Core 5.4.3),
    // resources of the instance missing from the payload are removed.
    Status writeRecords(const Lwm2mPath& target, const QList<SenmlRecord>& records, bool replace);
    Status validateRecords(const Lwm2mPath& target, const QList<SenmlRecord>& records) const;

    // Register payload (Core 6.2.1): "</>;rt="oma.lwm2m";ct=110," for 1.1, then the instances.
    QByteArray registrationLinks(bool withRootLink) const;
    QByteArray discover(const Lwm2mPath& path) const;

    static std::optional<QByteArray> normalise(ResourceType type, const QByteArray& text);
    static SenmlRecord toRecord(const QString& name, ResourceType type, const QByteArray& value);
    static ResourceType typeOf(const SenmlRecord& record);

private:
    // Where a record lands and whether it may: resource must exist unless createMissing.
    Status checkRecord(const Lwm2mPath& target, const SenmlRecord& record,
                       Lwm2mPath* resolved) const;

    std::map<int, ObjectNode> objects_;
};

}  // namespace lwm2mgw::peers
